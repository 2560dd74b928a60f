"""Where a pipeline runs. ``local`` (the default) runs every stage in this process."""
