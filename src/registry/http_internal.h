/* http_internal.h: the callbacks server.c hands to libmicrohttpd. */
#pragma once

#include <microhttpd.h>
#include <arpa/inet.h>

void *http_request_new(void *cls, const char *uri, struct MHD_Connection *conn);
void http_request_completed(void *cls, struct MHD_Connection *conn,
                            void **con_cls, enum MHD_RequestTerminationCode toe);
enum MHD_Result http_access(void *cls, struct MHD_Connection *conn,
                            const char *url, const char *method,
                            const char *version, const char *upload_data,
                            size_t *upload_data_size, void **con_cls);
/* Connection opened or closed: per-connection auth state (auth.h). */
void http_connection_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                            enum MHD_ConnectionNotificationCode code);
