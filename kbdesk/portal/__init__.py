"""The customer portal: self-service search, filing with suggestions, own tickets."""
