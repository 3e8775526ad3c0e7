"""The layer zoo: correct reference layers and deliberately buggy variants, written as a student would write them.

Each module marks its layers with `gradlab.registry.register` (class style in the manner of
"Deep Learning from Scratch", function style in the manner of CS231n), so that the registry check,
the grader and the MNIST trainer load them exactly as they would load a student's file.
"""
