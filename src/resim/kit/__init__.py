"""Pure helpers: identifiers, clock, crypto, money. Imports nothing of resim."""
