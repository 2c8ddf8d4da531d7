"""Orders: service checklists, activities and recurring resets."""
