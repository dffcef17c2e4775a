include(GoogleTest)

# intsim_test(NAME SOURCES a.cc b.cc LIBS lib... [LABELS fast|long ...])
# One gtest executable; each test case becomes a CTest test carrying LABELS (default: fast).
#
# RapidCheck properties run under one pinned seed (INTSIM_RC_SEED), so a CI run is a pure
# function of the commit like everything else here; fresh seeds are the job of the `long`
# sweeps (intsim_property_sweep), whose failures print the RC_PARAMS that reproduce them.
set(INTSIM_RC_SEED 20261128 CACHE STRING "RapidCheck seed of the fast test runs")
function(intsim_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_LABELS)
    set(T_LABELS fast)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} rapidcheck_gtest rapidcheck GTest::gtest
                                        GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${INTSIM_ROOT})
  gtest_discover_tests(${name} PROPERTIES LABELS "${T_LABELS}" ENVIRONMENT
                       "RC_PARAMS=seed=${INTSIM_RC_SEED}" DISCOVERY_TIMEOUT 60)
endfunction()

# intsim_property_sweep(TARGET [RUNS N]): every property of a test executable on fresh random
# seeds, N cases each (default 1000), as one CTest test `<target>.sweep` labelled `long`.
function(intsim_property_sweep target)
  cmake_parse_arguments(S "" "RUNS" "" ${ARGN})
  if(NOT S_RUNS)
    set(S_RUNS 1000)
  endif()
  add_test(NAME ${target}.sweep COMMAND ${target})
  set_tests_properties(${target}.sweep PROPERTIES LABELS long TIMEOUT 3600 ENVIRONMENT
                       "RC_PARAMS=max_success=${S_RUNS}")
endfunction()
