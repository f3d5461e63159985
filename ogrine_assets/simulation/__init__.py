"""Simulated time: the loop run day after day as the schedules would, for soaks and replays."""
