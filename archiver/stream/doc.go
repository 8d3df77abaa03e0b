// Package stream receives WAL over PostgreSQL's replication protocol into a durable local spool, confirms
// to the server only what is durable, and uploads spooled files to the object store without ever
// replacing an object that holds different content.
package stream
