"""Translatable names for the fixed vocabularies used in the config.

A test checks that every value allowed in bot/config.py has a label here, and the catalog
tests check that every label is translated in every language.
"""

from __future__ import annotations

from bot.i18n import N_, _

SERVICE_LABELS = {
    "drop_in": N_("drop-in without appointment"),
    "social_support": N_("social worker"),
    "nurse": N_("nurse"),
    "rapid_test": N_("rapid tests (HIV, syphilis, hepatitis C)"),
    "medical_permanence": N_("free doctor's consultation"),
    "outreach": N_("outreach in bars, streets and parkings"),
    "condoms": N_("free condoms and lubricant"),
    "needle_exchange": N_("needle exchange"),
    "hygiene_kits": N_("hygiene kits"),
}

PARTNER_LABELS = {
    "hiv_reference_centre": N_("HIV reference centres"),
    "cpvs": N_("Sexual violence care centres (CPVS)"),
    "testing": N_("Free or anonymous testing"),
    "trafficking_centre": N_("Centres for victims of trafficking"),
    "sex_worker_organisation": N_("Sex worker organisations"),
}

EMERGENCY_LABELS = {
    "ambulance_fire": N_("ambulance and fire brigade"),
    "police": N_("police"),
    "domestic_violence": N_("violence in a couple (listening line)"),
    "suicide_prevention": N_("suicide prevention (French)"),
    "suicide_prevention_nl": N_("suicide prevention (Dutch)"),
    "sexual_violence": N_("SOS Viol, after sexual violence"),
    "listening_line": N_("Télé-Accueil, someone to talk to"),
    "poison_centre": N_("poison centre"),
    "child_focus": N_("Child Focus, missing or exploited children"),
    "violence_helpline_flanders": N_("violence and abuse helpline (Dutch)"),
}


def label(table: dict[str, str], key: str) -> str:
    return _(table[key])
