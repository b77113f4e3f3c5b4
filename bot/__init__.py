"""Parapluie: a confidential health and rights chatbot for sex workers."""
