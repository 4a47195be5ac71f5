"""Page data: one function per page returns a language-free ``…Public`` model."""
