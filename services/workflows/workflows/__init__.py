"""Workflows: dunning sequences and sales pipelines."""
