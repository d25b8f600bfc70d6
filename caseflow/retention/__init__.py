"""Retention and disposal of personal data (PPC 安全管理措置: 削除・廃棄)."""
