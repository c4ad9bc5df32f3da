"""Delivering the activation code to the customer, counting reveals, and its expiry."""
