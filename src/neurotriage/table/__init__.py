"""Population screening: a whole Arrow table of profiles decided at once.

:func:`evaluate_table` takes a table whose columns are the pack's fields and
returns one output row per input row (:func:`table_schema`). It never
validates or decides row by row where it can help it:

1. **Column by column.** Each column is dictionary-encoded (Arrow, in C), and
   each *distinct* value is validated by the pack's own model, alone in an
   otherwise empty profile: the same rules, normalisation included, that
   ``evaluate()`` applies to it. The value's class (what no rule can tell it
   apart from, :mod:`neurotriage.pipeline.classes`) gets a small code; a value
   that does not validate gets a code of its own.
2. **Row keys, vectorised.** The codes of a row's columns make one integer
   (mixed radix, in numpy); Arrow hashes them into groups.
3. **Each group decided once.** A class decided before is answered from
   memory. On the reference backend, the batch's new classes are decided all
   at once, column-wise (:mod:`._fired`: each leaf of a condition evaluated
   once per code of its column, joined with numpy). On durable, each is
   decided on one of its own rows, by the same path as ``evaluate()`` (the
   whole row validated by the model, the engine asked which rules fire).
   Either way the row is made from the fired rules directly
   (:func:`neurotriage.pipeline.combine.decision_row`); a Decision is built
   only to show it to observers. A row that does not validate gets the
   message ``evaluate()`` would raise, in ``error``, and null decision
   columns.
4. **Gathered**: the small table of the groups' answers is taken row by row
   into the output (Arrow ``take``), so no row is ever dropped or reordered.

A model that is not one neurotriage builds from field specs (an app's own
model with validators of its own) may tie fields together, so there every
distinct combination of raw values is validated whole instead of each
column alone; the answer is the same, only slower.

pyarrow (and numpy) are the optional extra ``neurotriage[arrow]``; this
module imports them only when a table is evaluated.
"""

from __future__ import annotations

from neurotriage.table._evaluate import Chunk, evaluate_batches, evaluate_chunks, evaluate_table
from neurotriage.table._schema import OUTPUT_COLUMNS, TableError, table_schema

__all__ = [
    "OUTPUT_COLUMNS",
    "Chunk",
    "TableError",
    "evaluate_batches",
    "evaluate_chunks",
    "evaluate_table",
    "table_schema",
]
