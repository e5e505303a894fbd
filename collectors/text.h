/*
 * text.h - text helpers every collector shares (header-only, so a plugin
 * needs nothing but this folder to build).
 */
#ifndef GP_COLLECTOR_TEXT_H
#define GP_COLLECTOR_TEXT_H

/* Makes s printable in place: control characters become spaces, so no
 * text a peer sent can break a log line, a mail or a Nagios status. */
static inline void gp_text_clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

#endif
