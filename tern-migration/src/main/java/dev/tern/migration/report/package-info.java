/**
 * Reports of a migration for people: plain text ({@link dev.tern.migration.report.TextReport}) and one
 * self-contained HTML page with the timeline ({@link dev.tern.migration.report.HtmlReport}).
 */
package dev.tern.migration.report;
