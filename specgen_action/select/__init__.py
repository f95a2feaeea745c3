"""Which files a run takes: named paths, staged files, a revision range, filters and shards."""
