"""Strongroom: self-hosted KMS, Secrets Manager and Parameter Store behind AWS protocols."""
