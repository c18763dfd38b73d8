# Front-end assets embedded in the binary (rum.js, the dashboard). Until the SDK build
# exists this provides an empty asset table.
file(GLOB frontend_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/frontend/*.cc)
add_library(pw_frontend STATIC ${frontend_srcs} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/empty.cc)
target_include_directories(pw_frontend PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)
