"""Faces towards other tools: the detect-secrets plugin and its baseline format."""
