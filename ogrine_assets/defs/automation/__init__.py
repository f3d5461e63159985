"""Automation: the jobs, the weekly training and daily refresh schedules, the promotion sensor."""
