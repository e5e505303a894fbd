/*
 * manage.c - the manager's forms (not yet served: no path is its own).
 */
#include "web.h"

bool gp_manage_route(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp)
{
	(void)w, (void)r, (void)resp;
	return false;
}
