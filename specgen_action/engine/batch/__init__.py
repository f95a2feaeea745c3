"""``generate --batch``: the analyses of a run as Gemini Batch API jobs (half price, no rpm quota).

A batch run fills the chunk cache, then hands the files to the ordinary
scheduler, which finds every answer in the cache and writes each spec exactly
as an interactive run would (same prompts, schema, grounding, cache entries).

1. Chunks: every chunk whose answer is not cached goes into one job, packed
   as calls are (``packing``: several small requests share one batch request,
   each answered under its own id), inline while the job is under the API's
   20 MB inline limit, else as an uploaded JSON Lines file. Jobs recorded by
   an earlier run are collected first instead of submitted again; one that
   failed, expired or was cancelled is reported and its requests go into the
   new job.
2. Synthesis (files of several chunks): a second, small job, or ordinary calls,
   by ``synthesis_by_batch``.
3. The scheduler writes the specs; requests that failed retryably inside a
   job (an error status, an invalid answer or part) are retried there as
   calls; a request blocked alone fails its file alone.

A job outlives the run that started it: its name and what it carries are
recorded in ``<cache dir>/batch-jobs.json`` the moment it exists (so
actions/cache keeps it between workflow runs). When the deadline or a signal
comes first, the job stays recorded, its files are reported ``pending`` (with
the job's name and state: not a failure, the run exits 0 for them) and the
next ``--batch`` run collects it; a job that cannot be recorded is cancelled,
and the message says which.
The record is read as hostile input (actions/cache may restore one that
another branch wrote): each job is validated (its name, model, round, pack
keys, cache keys as hex digests) and a bad one dropped with a note; a record
that is not a version-1 job list is set aside whole. Runs sharing a cache
directory take its lock (``batch-jobs.lock``, ``fcntl.flock``) around reading
the record, submitting and recording, so a second run collects the first
one's job instead of paying for the same work again. Waiting for the lock,
and every call about a job, ends with the deadline or a signal; jobs not yet
looked at stay recorded.

Read top down: ``run`` (the two rounds, then the scheduler), ``rounds`` (one
round: the recorded jobs, a new one, the wait), ``submission`` (within the
budget, recorded at once), ``polling`` (the wait), ``collection`` (answers
into the cache), ``outcome`` (merged with the calls' result), ``entries``
(what a job carries, cut into packs), ``state`` (the run's terms and
findings), ``lock`` and ``record`` (the cache directory's lock and job
record) and ``clock`` (the deadline and the signal). Imports only flow in
that order, downwards, so the jobs handed to ``run_batch`` never travel back
up.
"""

from __future__ import annotations

from .lock import LOCK_NAME
from .record import RECORD_NAME
from .run import run_batch, synthesis_by_batch

__all__ = ["LOCK_NAME", "RECORD_NAME", "run_batch", "synthesis_by_batch"]
