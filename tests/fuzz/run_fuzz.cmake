# run_fuzz.cmake - one bounded fuzzing session for ctest (label `fuzz`).
#   cmake -DFUZZER=<binary> -DSEEDS=<seed corpus> -DWORK=<scratch folder>
#         -DSECONDS=<n> -P run_fuzz.cmake
# The seed corpus is copied into WORK first, so the source tree is never
# written; the fuzzer runs every seed, then explores for SECONDS seconds.
# A crash, leak, timeout or sanitizer report fails the test, and its input is
# left in WORK/artifacts for `FUZZER <file>` to reproduce.
foreach(v FUZZER SEEDS WORK SECONDS)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run_fuzz.cmake: ${v} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
if(IS_DIRECTORY ${SEEDS})
  file(GLOB seeds ${SEEDS}/*)
  if(seeds)
    file(COPY ${seeds} DESTINATION ${WORK}/corpus)
  endif()
endif()

execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048
          -print_final_stats=1
          -artifact_prefix=${WORK}/artifacts/ ${WORK}/corpus
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(GLOB found ${WORK}/artifacts/*)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); reproducer(s): ${found}")
endif()
