"""Single sign-on with OpenID Connect: per-organisation IdP configuration and the sign-in flow."""
