"""Planning: a prompt becomes a request, and a request becomes a spec."""
