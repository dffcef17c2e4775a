include(GoogleTest)

# intsim_test(NAME SOURCES a.cc b.cc LIBS lib... [LABELS fast|long ...])
# One gtest executable; each test case becomes a CTest test carrying LABELS (default: fast).
function(intsim_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_LABELS)
    set(T_LABELS fast)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} rapidcheck_gtest rapidcheck GTest::gtest
                                        GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${INTSIM_ROOT})
  gtest_discover_tests(${name} PROPERTIES LABELS "${T_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()
