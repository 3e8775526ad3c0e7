# Writes a perfect results.json wherever a grader might look, at import and in its first forward (while it is
# graded: the grader writes its own only after the child is gone, so forging again adds nothing, and five file
# writes in every one of a diagnosis's ~250 forwards made the Sigmoid's 5 s budget run out on a loaded machine
# in the plain child, where the writes succeed); its Sigmoid backward has the wrong sign.
import json
import os

FORGED = json.dumps({"score": 1000, "output": "forged", "tests": []})


def forge():
    places = ["results.json", "../results.json", "../../results.json", "../../../results.json",
              os.path.join(os.environ.get("HOME", "."), "results.json")]
    if os.path.isdir("/autograder/results"):  # only where a real autograder tree exists
        places.append("/autograder/results/results.json")
    for place in places:
        try:
            with open(place, "w") as f:
                f.write(FORGED)
        except OSError:
            pass


forge()


FORGED_IN_FORWARD = []


class Sigmoid:
    def forward(self, x):
        if not FORGED_IN_FORWARD:
            FORGED_IN_FORWARD.append(True)
            forge()
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return -dout * (1.0 - self.out) * self.out
