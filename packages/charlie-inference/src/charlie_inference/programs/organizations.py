"""Organisations a journal names often, known by name: typed without the model, and found whole
by the candidate finder where a name's own apostrophe or "&" would otherwise cut it short."""

from __future__ import annotations

from .names import normalize_name


def organization_key(name: str) -> str:
    """``normalize_name`` without apostrophes: "McDonald's" (with a straight or a curly
    apostrophe) and "McDonalds" are one name ("mcdonalds"); "Marks & Spencer" is
    "marks spencer" ("&" is punctuation)."""
    return normalize_name(name.replace("'", "").replace("\u2019", ""))


_NAMES = (  # "_" for a space
    "google microsoft facebook twitter youtube instagram whatsapp tiktok snapchat linkedin "
    "reddit tumblr netflix spotify airbnb uber deliveroo ebay paypal craigslist etsy ikea "
    "tesla nintendo starbucks mcdonald's costa pret tesco asda sainsbury's morrisons "
    "waitrose lidl aldi walmart marks_&_spencer marks_and_spencer m&s nando's domino's "
    "macy's trader_joe's monzo revolut barclays hsbc natwest lloyds santander "
    "deloitte accenture kpmg nhs bbc hmrc dvla itv cnn nasa unicef oxfam fedex ups dhl "
    "british_gas john_lewis virgin_media"
)
KNOWN_ORGANIZATIONS = frozenset(organization_key(name.replace("_", " ")) for name in _NAMES.split())
"""Organisations a journal names often (platforms, shops, banks, employers, public bodies).
The model types a lone capitalised word by where it stands ("She starts at Google next month"
gave a person, "my Monzo savings pot" a thing). Only names that are rarely anything else: no
Apple, Amazon, Shell, Boots, Next or Visa. Held as ``organization_key``s."""


def is_known_organization(name: str) -> bool:
    """Whether ``name``, however cased or apostrophised, is one of ``KNOWN_ORGANIZATIONS``."""
    return organization_key(name) in KNOWN_ORGANIZATIONS
