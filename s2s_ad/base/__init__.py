"""Base: what every stage uses. errors (the DifferentiationError family), syntax (gast
constructors and walks), naming (the names the compiler makes up). Imports nothing of s2s_ad."""
