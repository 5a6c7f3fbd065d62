"""Approval flows for any document type: versioned policies of CEL-conditioned steps, each step
decided by all (countersign, 会签) or any (or-sign, 或签) of its approvers."""
