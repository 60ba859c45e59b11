"""Every error the core raises, with messages a person can act on.

    FieldappError
    ├── VaultError
    │   ├── VaultNotFound (FileNotFoundError)   no vault at that path
    │   ├── VaultExists (FileExistsError)       creating over an existing vault
    │   ├── NotAVault                           the files are not a fieldapp vault
    │   ├── VaultTooNew                         made by a newer fieldapp; left untouched
    │   ├── WrongPassphrase                     passphrase or recovery key did not open it
    │   ├── VaultLocked                         the vault is locked; unlock first
    │   ├── VaultDamaged                        a tampered or truncated file was detected
    │   │   └── IntegrityError                  an attachment or revision failed its check
    │   ├── StorageError (OSError)              disk full, read-only, or another OS fault
    │   ├── VaultWiped                          being destroyed after a revocation; never "restore a backup"
    │   └── BackupError                         no usable backup to restore
    ├── FrameworkError                          framework data missing, broken or unknown
    ├── Cancelled                               a long operation was cancelled; nothing kept
    ├── ValidationError (ValueError)            input that the domain does not accept
    │   ├── UnreadableDate                      typed text that does not read as a date and time
    │   ├── RatingsError                        scores the roll-up cannot take (outside 1–4, none, wrong mode)
    │   ├── NeedsUpdate                         made by a newer fieldapp (a revision format, an item kind)
    │   └── UnresolvedConflict                  refused while a judgement or rating is in conflict
    ├── ManagedByService (PermissionError)      the central service owns that (an assessment's name, period)
    └── NotFound (LookupError)                  no such assessment, record, link or attachment
        └── KeptOnService                       its content left this laptop (retention); the service keeps it

Leaves also subclass a built-in where one fits, so callers can catch either.
"""

from __future__ import annotations


class FieldappError(Exception):
    """Base of every error raised by fieldapp."""


class VaultError(FieldappError):
    """A problem opening, reading or writing the vault."""


class VaultNotFound(VaultError, FileNotFoundError):
    """There is no vault at the given path."""


class VaultExists(VaultError, FileExistsError):
    """A vault already exists where a new one was to be created."""


class NotAVault(VaultError):
    """The files at the path are not a fieldapp vault."""


class VaultTooNew(VaultError):
    """The vault was written by a newer version of fieldapp."""


class WrongPassphrase(VaultError):
    """The passphrase or recovery key did not open the vault.

    One message for both, on purpose: it must not hint which part was wrong.
    """

    MESSAGE = "That passphrase or recovery key does not open this vault."

    def __init__(self, message: str = MESSAGE) -> None:
        super().__init__(message)


class VaultLocked(VaultError):
    """The vault is locked; its key is not in memory."""

    MESSAGE = "The vault is locked. Unlock it with your passphrase or recovery key."

    def __init__(self, message: str = MESSAGE) -> None:
        super().__init__(message)


class VaultDamaged(VaultError):
    """Part of the vault failed its integrity check and was not read as data."""

    def __init__(self, message: str, *, affected: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.affected = affected


class IntegrityError(VaultDamaged):
    """An attachment chunk or a revision failed its hash, chain or signature check."""


class StorageError(VaultError, OSError):
    """The operating system refused a write: disk full, read-only, or similar."""

    def __init__(self, message: str, errno: int | None = None) -> None:
        if errno is None:
            super().__init__(message)
        else:
            super().__init__(errno, message)

    def __str__(self) -> str:
        return self.strerror or str(self.args[0])


class VaultWiped(VaultError):
    """The vault is being destroyed (this laptop's access was revoked); what is left opens no more."""

    MESSAGE = (
        "The vault on this laptop is being removed, because the organisation's administrator revoked this laptop's "
        "access. What is left of it cannot be opened; the app finishes removing it when it starts."
    )

    def __init__(self, message: str = MESSAGE) -> None:
        super().__init__(message)


class BackupError(VaultError):
    """No backup could be made or restored."""


class FrameworkError(FieldappError):
    """The assessment framework data is missing, malformed or of an unknown version."""


class ValidationError(FieldappError, ValueError):
    """Input the domain does not accept.

    `field` is the path of the field at fault when one is ('focus_group.notes'), so a form can
    show the message beside it; the message itself names the field as the editor does.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnreadableDate(ValidationError):
    """Typed text that does not read as a date (or a date and time); the message says how to type it."""


class RatingsError(ValidationError):
    """Scores the roll-up does not accept: outside 1–4, none at all, or not of the rules' mode."""


class NeedsUpdate(ValidationError):
    """Made by a newer fieldapp (a revision format or item kind this one does not know): not
    tampering, and nothing to fix but to update the app."""


class UnresolvedConflict(ValidationError):
    """Refused while something it rests on is in conflict; the message names what to resolve first."""


class ManagedByService(FieldappError, PermissionError):
    """This laptop may not change it: the central service owns it and would overwrite it anyway."""


class NotFound(FieldappError, LookupError):
    """No such assessment, record, evidence link or attachment."""


class Cancelled(FieldappError):
    """The user cancelled a long operation; nothing partial was kept."""


class KeptOnService(NotFound):
    """Retention removed the record's content from this laptop; the service keeps it and opening fetches it."""


KEPT_ON_SERVICE = "This record is kept on the service. Connect to the network to open it."
