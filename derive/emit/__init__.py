"""Emitters: each turns checked derivations (or kernels) into the text of one kind of file."""
