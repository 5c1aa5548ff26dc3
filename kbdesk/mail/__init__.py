"""The e-mail channel: inbound intake (pipe and IMAP), threading, loop safety, outbound SMTP."""
