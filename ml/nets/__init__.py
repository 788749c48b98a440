"""PyTorch modules (named nets/ so they are never confused with Django models). Import only lazily."""
