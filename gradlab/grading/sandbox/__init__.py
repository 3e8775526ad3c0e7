"""The jail: student code in a child process, the wire it speaks, the proxy layer the grader checks."""
