// Prints "N passed, N failed" from vitest's JSON report; a missing report counts as a failure.
import { readFileSync } from "node:fs"

const file = process.argv[2]
try {
  const report = JSON.parse(readFileSync(file, "utf8"))
  // A file that failed to load has no test results of its own; count it as one failure.
  const broken = report.testResults.filter(
    (file) => file.status === "failed" && file.assertionResults.length === 0
  ).length
  const failed = report.numFailedTests + broken
  process.stdout.write(`${report.numPassedTests} passed, ${failed} failed\n`)
  process.exit(report.numTotalTests > 0 && failed === 0 ? 0 : 1)
} catch (error) {
  process.stdout.write(`0 passed, 1 failed\n`)
  process.stderr.write(`no test report at ${file}: ${error}\n`)
  process.exit(1)
}
