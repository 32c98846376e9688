"""Backend: generated gast in, a compiled function out. optimize (passes over the generated
code; tape_groups for its tape), names (values generated code refers to), printer and codegen
(source text, compile, linecache)."""
