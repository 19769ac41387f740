"""Staff sign-in: passwords, TOTP second factor, server-side sessions, throttling and roles."""
