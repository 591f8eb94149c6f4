"""Anonymous tips: the public form, receipts and the tipster's side of the thread."""
