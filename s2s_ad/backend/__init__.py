"""Backend: generated gast in, a compiled function out. optimize (a package of passes over the
generated code; optimize/pipeline.py lists them in order), names (values generated code refers
to), printer and codegen (source text, compile, linecache)."""
