"""Who an operator is and what they may do: accounts, passwords, lockout, the permissions table."""
