# Runs CMD with ARGS and checks its exit code (EXPECT_CODE) and that stderr+stdout contain EXPECT.
execute_process(COMMAND ${CMD} ${ARGS} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code EQUAL ${EXPECT_CODE})
  message(FATAL_ERROR "exit code ${code}, expected ${EXPECT_CODE}\n${out}${err}")
endif()
string(FIND "${out}${err}" "${EXPECT}" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "output lacks '${EXPECT}':\n${out}${err}")
endif()
