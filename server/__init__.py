"""What people see: the JSON API for humans, the dashboard, readiness reports."""
