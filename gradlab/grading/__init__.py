"""The grader: assignments, forward comparison, feedback, Gradescope output, class folders."""
