"""The engine of a generate run: plan, gate, packing, scheduling, batch jobs, budget and cache.

Pure stages over plain data; the provider and the clock are passed in.
"""
