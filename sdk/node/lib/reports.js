'use strict';
/** Compliance reports for the client: request, poll until a worker has rendered it, download. */

const { createHash } = require('node:crypto');
const { setTimeout: sleep } = require('node:timers/promises');
const { PaiTIENTError, ReportFailedError, TimeoutError } = require('./errors');
const { ComplianceReport } = require('./models');

const FINISHED = new Set(['ready', 'failed']);

function day(value) {
  return value instanceof Date ? value.toISOString().slice(0, 10) : value;
}

class Reports {
  #request;
  #download;

  /**
   * @param {(method: string, path: string, options?: object) => Promise<any>} request
   * @param {(url: string) => Promise<Buffer>} download
   */
  constructor(request, download) {
    this.#request = request;
    this.#download = download;
    this.download = this.download.bind(this);
  }

  async get(reportId) {
    const data = await this.#request('GET', `/api/v1/reports/${encodeURIComponent(reportId)}`);
    return ComplianceReport.fromApi(data, this.download);
  }

  async create({ reportType, timePeriod, includeSections, outputFormat, startDate, endDate }) {
    const body = { report_type: reportType, time_period: timePeriod, output_format: outputFormat };
    if (includeSections !== undefined && includeSections !== null) body.include_sections = [...includeSections];
    if (startDate !== undefined && startDate !== null) body.start_date = day(startDate);
    if (endDate !== undefined && endDate !== null) body.end_date = day(endDate);
    return ComplianceReport.fromApi(await this.#request('POST', '/api/v1/reports', { json: body }), this.download);
  }

  /** Poll until rendered; throws ReportFailedError, or TimeoutError after `timeoutMs`. */
  async wait(report, { timeoutMs, pollIntervalMs }) {
    const deadline = Date.now() + timeoutMs;
    let interval = Math.min(250, pollIntervalMs);
    while (!FINISHED.has(report.status)) {
      if (Date.now() >= deadline) {
        throw new TimeoutError(
          `report ${report.id} not ready after ${Math.round(timeoutMs / 1000)} s ` +
            `(${report.status}, ${report.progressPercent}%)`,
        );
      }
      await sleep(interval);
      interval = Math.min(interval * 2, pollIntervalMs);
      report = await this.get(report.id);
    }
    if (report.status === 'failed') {
      throw new ReportFailedError(`report ${report.id} failed: ${report.error}`, { reportId: report.id });
    }
    return report;
  }

  /** The report's file, through a freshly signed link; checked against the SHA-256 the service recorded. */
  async download(reportId) {
    const report = await this.get(reportId);
    if (report.url === null) {
      throw new PaiTIENTError(`report ${reportId} is ${report.status}: nothing to download yet`);
    }
    const data = await this.#download(report.url);
    if (report.sha256 && createHash('sha256').update(data).digest('hex') !== report.sha256) {
      throw new PaiTIENTError(`report ${reportId}: the download does not match its recorded SHA-256`);
    }
    return data;
  }
}

module.exports = { Reports };
