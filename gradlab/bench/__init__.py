"""`gradlab bench`: gradlab timed against PyTorch's gradcheck and training, side by side."""
