"""The model every stage shares: the figures table (``figures``), findings (``findings``),
figures as intervals and how they are written (``intervals``), and the vocabulary of
severities, kinds, statuses and finding families (``vocabulary``, plain Python)."""
