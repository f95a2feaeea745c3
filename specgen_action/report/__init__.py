"""What a run did: the RunReport (JSON contract) and its console rendering."""
