// The process metrics read from the runtime and /proc.
import { expect, test } from "bun:test";
import { closeSync, openSync } from "node:fs";
import { measureProcess, measureProcessAsync, parseMaxFds, parseVirtualBytes } from "../../src/os/process-metrics.ts";

test("the /proc texts are read as Prometheus wants them (bytes, a number or null)", () => {
  expect(parseMaxFds("Limit  Soft Limit  Hard Limit  Units\nMax open files            20000                20000                files     \n")).toBe(20000);
  expect(parseMaxFds("Max open files            unlimited            unlimited            files     \n")).toBeNull();
  expect(parseMaxFds("")).toBeNull();
  expect(parseVirtualBytes("Name:\tbun\nVmSize:\t 6627184 kB\nVmRSS:\t  44000 kB\n")).toBe(6627184 * 1024);
  expect(parseVirtualBytes("Name:\tbun\n")).toBeNull();
});

test("measured here: CPU time, memory, and open descriptors that follow what is opened", () => {
  const a = measureProcess();
  expect(a.cpuSeconds).toBeGreaterThan(0);
  expect(a.residentBytes).toBeGreaterThan(1_000_000);
  expect(a.virtualBytes).toBeGreaterThanOrEqual(a.residentBytes ?? 0);
  expect(a.maxFds).toBeGreaterThan(0);
  const fds = Array.from({ length: 5 }, () => openSync("/dev/null", "r"));
  try {
    expect(measureProcess().openFds).toBe((a.openFds ?? 0) + 5);
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  expect(measureProcess().openFds).toBe(a.openFds);
});

test("measured off the loop: the same figures as measured on it", async () => {
  const a = measureProcess();
  const b = await measureProcessAsync();
  expect(b.openFds).toBe(a.openFds);
  expect(b.maxFds).toBe(a.maxFds);
  expect(b.virtualBytes).toBeGreaterThan(0);
  expect(b.cpuSeconds).toBeGreaterThanOrEqual(a.cpuSeconds ?? 0);
  const fds = Array.from({ length: 3 }, () => openSync("/dev/null", "r"));
  try {
    expect((await measureProcessAsync()).openFds).toBe((a.openFds ?? 0) + 3);
  } finally {
    for (const fd of fds) closeSync(fd);
  }
});
