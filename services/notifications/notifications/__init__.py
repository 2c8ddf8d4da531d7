"""Notifications: email, SMS, letters and in-app, with delivery tracking."""
