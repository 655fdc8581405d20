"""The audit log: who changed who may do what, or which model answers, and when."""
